import { describeRegistration } from './registration.cases';

describeRegistration('udp', 1);
