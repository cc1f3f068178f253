import { describeRegistration } from './registration.cases';

describeRegistration('tcp', 2);
